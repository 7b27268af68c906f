package dev.opencode.tuner.policy.app.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccountsFileTest {
    private static final String HASH = "$2a$04$" + "a".repeat(53);

    @TempDir
    Path dir;

    private Path file(String text) throws Exception {
        return Files.writeString(dir.resolve("accounts"), text);
    }

    @Test
    void readsAccountsWithTheRolesTheirRoleImplies() throws Exception {
        var accounts = AccountsFile.read(file("# comment\n\nadmin:" + HASH + ":admin\nbob:" + HASH
                + ":reviewer\ncarol:" + HASH + ":viewer\nlocked:" + HASH + ":\n"));
        assertThat(accounts.get("admin").roles()).containsExactlyInAnyOrder("viewer", "reviewer", "admin");
        assertThat(accounts.get("bob").roles()).containsExactlyInAnyOrder("viewer", "reviewer");
        assertThat(accounts.get("carol").roles()).containsExactly("viewer");
        assertThat(accounts.get("locked").roles()).isEmpty();
        assertThat(accounts.get("admin").toString()).doesNotContain(HASH);
    }

    @Test
    void namesTheLineAndTheFixOfABadFile() throws Exception {
        assertThatThrownBy(() -> AccountsFile.read(file("admin:" + HASH + ":root\n")))
                .hasMessageContaining("line 1").hasMessageContaining("unknown role 'root'");
        assertThatThrownBy(() -> AccountsFile.read(file("\nadmin:plain:admin\n")))
                .hasMessageContaining("line 2").hasMessageContaining("not a bcrypt hash");
        assertThatThrownBy(() -> AccountsFile.read(file("a:" + HASH + ":viewer\na:" + HASH + ":viewer\n")))
                .hasMessageContaining("defined twice");
        assertThatThrownBy(() -> AccountsFile.read(file("Admin:" + HASH + ":viewer\n")))
                .hasMessageContaining("account name 'Admin'");
        assertThatThrownBy(() -> AccountsFile.read(file("admin:" + HASH + "\n")))
                .hasMessageContaining("expected name:bcrypt-hash:roles");
    }
}
