package dev.opencode.tuner.policy.app;

import static io.restassured.RestAssured.given;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.restassured.specification.RequestSpecification;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Test accounts, appended once to the running service's accounts file (it reads it again), sharing one password. */
public final class TestAccounts {
    private TestAccounts() {
    }

    /** Appends {@code name:role} accounts with {@code password}, unless the first of them is already there. */
    public static synchronized void ensure(String password, String... nameRoles) {
        Path accounts = PolicyStack.policyState().resolve("accounts");
        String first = nameRoles[0].substring(0, nameRoles[0].indexOf(':') + 1);
        try {
            if (Files.readString(accounts).contains("\n" + first)) {
                return;
            }
            String hash = BCrypt.withDefaults().hashToString(4, password.toCharArray());
            StringBuilder lines = new StringBuilder();
            for (String nameRole : nameRoles) {
                int colon = nameRole.indexOf(':');
                lines.append(nameRole, 0, colon).append(':').append(hash).append(nameRole.substring(colon))
                        .append('\n');
            }
            Files.writeString(accounts, lines, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A JSON request with HTTP Basic as {@code name}. */
    public static RequestSpecification as(String name, String password) {
        return given().auth().preemptive().basic(name, password).contentType("application/json");
    }
}
