package dev.opencode.tuner.policy.app.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The accounts file: one account per line, {@code name:bcrypt-hash:role[,role...]}; {@code #} starts a comment.
 * An account with no role can log in but may call nothing (403). Hashes are bcrypt ({@code $2a$}, {@code $2b$},
 * {@code $2y$}, as {@code htpasswd -nBC 12 name} makes them).
 */
final class AccountsFile {
    /** One account. {@code roles} holds the roles as written plus those they imply. */
    record Account(String name, String hash, Set<String> roles) {
        @Override
        public String toString() {
            return "Account[" + name + ", roles=" + roles + "]"; // never the hash
        }
    }

    static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_.-]{0,63}");
    private static final Pattern HASH = Pattern.compile("\\$2[abxy]\\$\\d{2}\\$[./A-Za-z0-9]{53}");

    private AccountsFile() {
    }

    /** Reads and checks the file; the message of a failure names the file, the line and the fix. */
    static Map<String, Account> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Map<String, Account> accounts = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + " line " + (i + 1);
            String[] parts = line.split(":", -1);
            if (parts.length != 3) {
                throw new IllegalArgumentException(where + ": expected name:bcrypt-hash:roles, got "
                        + parts.length + " fields");
            }
            String name = parts[0];
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException(where + ": account name '" + name + "' is not " + NAME.pattern());
            }
            if (!HASH.matcher(parts[1]).matches()) {
                throw new IllegalArgumentException(where + ": the hash of '" + name + "' is not a bcrypt hash"
                        + " ($2a$, $2b$ or $2y$, cost, 53 characters of salt and hash)");
            }
            Set<String> roles = new LinkedHashSet<>();
            for (String role : parts[2].split(",")) {
                role = role.strip();
                if (role.isEmpty()) {
                    continue;
                }
                if (!Roles.ALL.contains(role)) {
                    throw new IllegalArgumentException(where + ": unknown role '" + role + "' of '" + name
                            + "': expected some of viewer, reviewer, admin");
                }
                roles.addAll(Roles.implied(role));
            }
            if (accounts.put(name, new Account(name, parts[1], Set.copyOf(roles))) != null) {
                throw new IllegalArgumentException(where + ": account '" + name + "' is defined twice");
            }
        }
        return accounts;
    }

    /** The text of a file holding these accounts (name, hash, roles as written). */
    static String format(List<String[]> accounts) {
        List<String> lines = new ArrayList<>();
        lines.add("# Accounts of the opencode egress tuner policy API: name:bcrypt-hash:roles (viewer, reviewer, admin).");
        lines.add("# Add one with: htpasswd -nbBC 12 NAME PASSWORD, then append :viewer (or reviewer, admin) to its line.");
        for (String[] a : accounts) {
            lines.add(String.join(":", a));
        }
        return String.join("\n", lines) + "\n";
    }
}
