package dev.opencode.tuner.review;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReviewCommentTest {
    @Test
    void stripsNormalisesLineEndsAndTreatsBlankAsNone() {
        assertThat(ReviewComment.normalise(null)).isNull();
        assertThat(ReviewComment.normalise(" \r\n\t ")).isNull();
        assertThat(ReviewComment.normalise("  needed by the\r\nbuild  \r\n")).isEqualTo("needed by the\nbuild");
        assertThat(ReviewComment.refusal(ReviewComment.normalise("needed by the\r\nbuild"))).isNull();
        assertThat(ReviewComment.refusal(null)).isNull();
    }

    @Test
    void countsTheLengthAfterStripping() {
        String max = "x".repeat(ReviewComment.MAX_LENGTH);
        assertThat(ReviewComment.refusal(ReviewComment.normalise("   " + max + "   "))).isNull();

        Refusal tooLong = ReviewComment.refusal(ReviewComment.normalise(max + "y"));
        assertThat(tooLong.kind()).isEqualTo(Refusal.Kind.MALFORMED);
        assertThat(tooLong.field()).isEqualTo("comment");
        assertThat(tooLong.message()).isEqualTo("expected at most 2000 characters, got 2001");
    }

    @Test
    void refusesControlCharactersOtherThanTheNewline() {
        for (String bad : new String[] {"a\u001b[31mred", "a\rb", "a\u0000b", "a\tb", "a\u0085b"}) {
            Refusal refusal = ReviewComment.refusal(ReviewComment.normalise(bad));
            assertThat(refusal).as(bad).isNotNull();
            assertThat(refusal.field()).isEqualTo("comment");
            assertThat(refusal.message()).isEqualTo("control characters are not allowed (newlines are)");
        }
    }
}
