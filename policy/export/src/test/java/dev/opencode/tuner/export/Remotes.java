package dev.opencode.tuner.export;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.transport.RefSpec;

/** Real bare repositories made in the test, and a person who works on them through a clone of their own. */
public final class Remotes {
    static final PersonIdent OPERATOR = new PersonIdent("Olga Operator", "olga@example.org");

    private Remotes() {
    }

    /** A bare repository whose default branch {@code branch} holds a README and a hand-written host file. */
    public static Path bare(Path dir, String branch) throws IOException, GitAPIException {
        Path bare = dir.resolve("infra.git");
        Git.init().setBare(true).setInitialBranch(branch).setDirectory(bare.toFile()).call().close();
        try (Person olga = Person.clone(bare, dir.resolve("olga-seed"))) {
            olga.write("README.md", "infrastructure\n");
            olga.write("hosts/demo-host/configuration.nix", "{ ... }: { imports = [ ./opencode-egress-allowlist.nix ]; }\n");
            olga.commitAndPush(branch, "Initial commit");
        }
        return bare;
    }

    public static ObjectId tip(Path bare, String branch) throws IOException {
        try (Repository repo = Git.open(bare.toFile()).getRepository()) {
            return repo.resolve("refs/heads/" + branch);
        }
    }

    public static String read(Path bare, String branch, String path) throws IOException {
        try (Repository repo = Git.open(bare.toFile()).getRepository();
                var walk = org.eclipse.jgit.treewalk.TreeWalk.forPath(repo, path,
                        repo.parseCommit(repo.resolve("refs/heads/" + branch)).getTree())) {
            return walk == null ? null : new String(repo.open(walk.getObjectId(0)).getBytes(), StandardCharsets.UTF_8);
        }
    }

    public static RevCommit commit(Path bare, ObjectId id) throws IOException {
        try (Repository repo = Git.open(bare.toFile()).getRepository()) {
            return repo.parseCommit(id);
        }
    }

    /** Someone with a working clone. */
    public static final class Person implements AutoCloseable {
        final Git git;
        final Path dir;

        private Person(Git git, Path dir) {
            this.git = git;
            this.dir = dir;
        }

        public static Person clone(Path bare, Path dir) throws GitAPIException {
            return new Person(Git.cloneRepository().setURI(bare.toString()).setDirectory(dir.toFile()).call(), dir);
        }

        public void write(String path, String content) throws IOException {
            Path file = dir.resolve(path);
            Files.createDirectories(file.getParent());
            Files.writeString(file, content);
        }

        public void checkout(String branch) throws GitAPIException {
            git.fetch().setRefSpecs(new RefSpec("+refs/heads/*:refs/remotes/origin/*")).call();
            git.checkout().setName(branch).setCreateBranch(true).setForced(true).setStartPoint("origin/" + branch)
                    .call();
        }

        public RevCommit commitAndPush(String branch, String message) throws GitAPIException {
            git.add().addFilepattern(".").call();
            RevCommit c = git.commit().setMessage(message).setAuthor(OPERATOR).setCommitter(OPERATOR).call();
            git.push().setRefSpecs(new RefSpec("HEAD:refs/heads/" + branch)).call();
            return c;
        }

        @Override
        public void close() {
            git.close();
        }
    }
}
