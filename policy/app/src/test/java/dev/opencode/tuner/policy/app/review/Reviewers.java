package dev.opencode.tuner.policy.app.review;

import static io.restassured.RestAssured.given;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.opencode.tuner.policy.app.PolicyStack;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The review tests' accounts, appended once to the running service's accounts file (it reads it again). */
final class Reviewers {
    static final String PASSWORD = "review-test-password";

    private Reviewers() {
    }

    /** alice and bob review, carol views, dave is an admin; all with {@link #PASSWORD}. */
    static synchronized void ensure() {
        Path accounts = PolicyStack.policyState().resolve("accounts");
        try {
            if (Files.readString(accounts).contains("\nalice:")) {
                return;
            }
            String hash = BCrypt.withDefaults().hashToString(4, PASSWORD.toCharArray());
            Files.writeString(accounts, "alice:" + hash + ":reviewer\nbob:" + hash + ":reviewer\ncarol:" + hash
                    + ":viewer\ndave:" + hash + ":admin\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static RequestSpecification as(String name) {
        ensure();
        return given().auth().preemptive().basic(name, PASSWORD).contentType("application/json");
    }
}
