package dev.opencode.tuner.policy.app.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggregateWriterTest {
    @Test
    void arrayLiteralsQuoteEveryElement() {
        assertThat(AggregateWriter.arrayLiteral(List.of())).isEqualTo("{}");
        assertThat(AggregateWriter.arrayLiteral(List.of(443, 80))).isEqualTo("{\"443\",\"80\"}");
        assertThat(AggregateWriter.arrayLiteral(List.of("a\"b", "c\\d", "e,f", "NULL")))
                .isEqualTo("{\"a\\\"b\",\"c\\\\d\",\"e,f\",\"NULL\"}");
    }

    @Test
    void onlyDataErrorsAreTreatedAsRefusals() {
        assertThat(AggregateWriter.isDataError(new SQLException("x", "23514"))).isTrue();
        assertThat(AggregateWriter.isDataError(new SQLException("x", "22021"))).isTrue();
        assertThat(AggregateWriter.isDataError(new SQLException("x", "08006"))).isFalse();
        assertThat(AggregateWriter.isDataError(new SQLException("x", "57P01"))).isFalse();
        assertThat(AggregateWriter.isDataError(new SQLException("x"))).isFalse();
    }
}
