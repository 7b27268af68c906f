package dev.opencode.tuner.policy.app.review;

import dev.opencode.tuner.policy.app.TestAccounts;
import io.restassured.specification.RequestSpecification;

/** The review tests' accounts, appended once to the running service's accounts file (it reads it again). */
final class Reviewers {
    static final String PASSWORD = "review-test-password";

    private Reviewers() {
    }

    /** alice and bob review, carol views, dave is an admin; all with {@link #PASSWORD}. */
    static void ensure() {
        TestAccounts.ensure(PASSWORD, "alice:reviewer", "bob:reviewer", "carol:viewer", "dave:admin");
    }

    static RequestSpecification as(String name) {
        ensure();
        return TestAccounts.as(name, PASSWORD);
    }
}
