package dev.opencode.tuner.policy.app.auth;

import java.util.Set;

/** The API's roles. Each includes the ones before it: a reviewer may view, an admin may review. */
public final class Roles {
    /** Reads instances and suggestions. */
    public static final String VIEWER = "viewer";
    /** Decides on suggestions (later issues). */
    public static final String REVIEWER = "reviewer";
    /** Manages accounts. */
    public static final String ADMIN = "admin";

    public static final Set<String> ALL = Set.of(VIEWER, REVIEWER, ADMIN);

    private Roles() {
    }

    /** The role and the ones it includes. */
    static Set<String> implied(String role) {
        return switch (role) {
            case ADMIN -> Set.of(VIEWER, REVIEWER, ADMIN);
            case REVIEWER -> Set.of(VIEWER, REVIEWER);
            case VIEWER -> Set.of(VIEWER);
            default -> throw new IllegalArgumentException("unknown role '" + role + "': expected one of " + ALL);
        };
    }
}
