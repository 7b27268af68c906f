package dev.opencode.tuner.export;

import com.github.difflib.DiffUtils;
import com.github.difflib.UnifiedDiffUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEditor;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.PushResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.RemoteRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * Writes a host's generated allowlist file onto the branch {@code opencode-egress/<host>} of the operator's
 * repository, through JGit and a bare cache repository of its own.
 *
 * <p>Rules: the only ref ever pushed is the bot's branch, always with a lease (the branch tip seen at fetch, or "must
 * not exist"); the new commit changes only the generated file, on top of the default branch; the branch is
 * regenerated only when the generated text differs from the branch's or the default branch changed that same file
 * (no rebase storms when unrelated commits land on the default branch); a branch with someone else's commits is left
 * alone.
 *
 * <p>Not thread-safe: one export at a time per cache directory (the policy service serialises them).
 */
public final class GitExporter {
    public static final String BRANCH_PREFIX = "opencode-egress/";
    private static final String REMOTE_PREFIX = "refs/remotes/origin/";

    private final GitRemote remote;
    private final RemoteAccess access;
    private final Path cacheDirectory;
    private final GeneratedFile file;
    private final PersonIdent identity;

    /**
     * @param cacheDirectory where the bare cache repository of this remote lives (a subdirectory per remote URI)
     * @param botName the author and committer name of the exporter's commits
     * @param botEmail their e-mail; commits by anyone else on the bot branch stop the exporter from rewriting it
     */
    public GitExporter(GitRemote remote, Path cacheDirectory, GeneratedFile file, String botName, String botEmail) {
        this.remote = Objects.requireNonNull(remote);
        this.access = new RemoteAccess(remote);
        this.cacheDirectory = Objects.requireNonNull(cacheDirectory);
        this.file = Objects.requireNonNull(file);
        this.identity = new PersonIdent(botName, botEmail);
    }

    /** The bot's branch for {@code host}. */
    public static String branch(String host) {
        return BRANCH_PREFIX + HostNames.require(host);
    }

    /** Fetches, renders and, when needed, creates the commit locally. Nothing is pushed. */
    public ExportPlan plan(HostExport export) {
        String branch = branch(export.host());
        String path = file.path(export.host());
        String content = file.render(export);
        String message = CommitMessage.of(export);
        try (Repository repo = openCache()) {
            String defaultBranch = fetch(repo);
            Ref base = repo.exactRef(REMOTE_PREFIX + defaultBranch);
            if (base == null) {
                throw new ExportException("the default branch '" + defaultBranch + "' does not exist in " + remote
                        + ": create it, or set the default branch in the export configuration");
            }
            if (defaultBranch.equals(branch)) {
                throw new ExportException("the default branch is the bot's branch '" + branch + "': refusing to export");
            }
            Ref tip = repo.exactRef(REMOTE_PREFIX + branch);
            try (RevWalk walk = new RevWalk(repo)) {
                RevCommit baseCommit = walk.parseCommit(base.getObjectId());
                String onDefault = read(repo, baseCommit, path);
                String diff = diff(path, onDefault, content);
                if (content.equals(onDefault) || (onDefault == null && export.entries().isEmpty())) {
                    // Nothing in force by decision and no file yet: an empty module would be noise.
                    return new ExportPlan(export, ExportPlan.Change.ON_DEFAULT_BRANCH, defaultBranch, branch, path,
                            content, "", tip == null ? null : tip.getObjectId(), null, message);
                }
                if (tip != null) {
                    RevCommit tipCommit = walk.parseCommit(tip.getObjectId());
                    if (editedByOthers(walk, tipCommit, baseCommit)) {
                        return new ExportPlan(export, ExportPlan.Change.BRANCH_EDITED_BY_OTHERS, defaultBranch, branch,
                                path, content, diff, tipCommit.copy(), null, message);
                    }
                    String onBranch = read(repo, tipCommit, path);
                    String underBranch = tipCommit.getParentCount() == 0 ? null
                            : read(repo, walk.parseCommit(tipCommit.getParent(0)), path);
                    if (content.equals(onBranch) && Objects.equals(underBranch, onDefault)) {
                        return new ExportPlan(export, ExportPlan.Change.BRANCH_CURRENT, defaultBranch, branch, path,
                                content, diff, tipCommit.copy(), null, message);
                    }
                }
                ObjectId commit = commit(repo, baseCommit, path, content, message);
                return new ExportPlan(export, ExportPlan.Change.COMMIT, defaultBranch, branch, path, content, diff,
                        tip == null ? null : tip.getObjectId(), commit, message);
            }
        } catch (IOException e) {
            throw access.failure("export of " + export.host(), e);
        }
    }

    /**
     * Pushes the plan's commit to the bot branch, forced but only if the branch is still where {@link #plan} saw it.
     * Does nothing for plans without a commit.
     *
     * @throws ExportException when the remote refuses, the lease above all ("someone else pushed")
     */
    public void push(ExportPlan plan) {
        if (plan.change() != ExportPlan.Change.COMMIT) {
            return;
        }
        String ref = Constants.R_HEADS + plan.branch();
        if (!plan.branch().startsWith(BRANCH_PREFIX) || plan.branch().equals(plan.defaultBranch())) {
            throw new IllegalStateException("refusing to push " + ref + ": only the bot's own branches are pushed");
        }
        try (Repository repo = openCache(); Transport transport = Transport.open(repo, new URIish(remote.uri()))) {
            access.configure(transport);
            ObjectId lease = plan.branchTip() == null ? ObjectId.zeroId() : plan.branchTip();
            RemoteRefUpdate update = new RemoteRefUpdate(repo, (String) null, plan.commit(), ref, true, null, lease);
            PushResult result = transport.push(NullProgressMonitor.INSTANCE, List.of(update));
            RemoteRefUpdate done = result.getRemoteUpdate(ref);
            switch (done.getStatus()) {
                case OK, UP_TO_DATE -> {
                    RefUpdate local = repo.updateRef(REMOTE_PREFIX + plan.branch());
                    local.setNewObjectId(plan.commit());
                    local.setForceUpdate(true);
                    local.update();
                }
                case REJECTED_REMOTE_CHANGED -> throw new ExportException("push of " + plan.branch() + " to " + remote
                        + " refused: the branch moved since the fetch (someone else pushed to it); the next export "
                        + "fetches again and decides anew");
                default -> throw new ExportException("push of " + plan.branch() + " to " + remote + " refused: "
                        + done.getStatus() + access.redactedMessage(done.getMessage()));
            }
        } catch (IOException | java.net.URISyntaxException e) {
            throw access.failure("push of " + plan.branch(), e);
        }
    }
    private Repository openCache() throws IOException {
        Path dir = cacheDirectory.resolve(cacheName(remote.uri()));
        if (!Files.isDirectory(dir.resolve("objects"))) {
            Files.createDirectories(dir);
            try {
                Git.init().setBare(true).setDirectory(dir.toFile()).setInitialBranch("cache").call().close();
            } catch (GitAPIException e) {
                throw new IOException("cannot create the cache repository " + dir + ": " + e.getMessage());
            }
        }
        return Git.open(dir.toFile()).getRepository();
    }

    private static String cacheName(String uri) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(uri.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8) + ".git";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Fetches every branch into {@code refs/remotes/origin/*} and returns the default branch's name. */
    private String fetch(Repository repo) throws IOException {
        FetchResult result;
        try (Git git = Git.wrap(repo)) {
            result = git.fetch().setRemote(remote.uri())
                    .setRefSpecs(new RefSpec("+refs/heads/*:" + REMOTE_PREFIX + "*"))
                    .setRemoveDeletedRefs(true)
                    .setCredentialsProvider(access.credentials())
                    .setTransportConfigCallback(access.transportConfig())
                    .call();
        } catch (GitAPIException e) {
            // The cause stays for RemoteAccess.failure(), which reads the chain for a hint but never attaches it.
            throw new IOException(e.getClass().getSimpleName() + ": " + e.getMessage()
                    + (e.getCause() instanceof TransportException t ? " (" + t.getMessage() + ")" : ""), e);
        }
        if (remote.defaultBranch() != null) {
            return remote.defaultBranch();
        }
        Ref head = result.getAdvertisedRef(Constants.HEAD);
        if (head != null && head.isSymbolic()) {
            return Repository.shortenRefName(head.getTarget().getName());
        }
        for (String candidate : List.of("main", "master")) {
            Ref ref = result.getAdvertisedRef(Constants.R_HEADS + candidate);
            if (ref != null) {
                return candidate;
            }
        }
        throw new ExportException(remote + " does not say which branch is its default (no HEAD, no main, no master):"
                + " set the default branch in the export configuration");
    }

    private boolean editedByOthers(RevWalk walk, RevCommit tip, RevCommit base) throws IOException {
        walk.reset();
        walk.markStart(tip);
        walk.markUninteresting(base);
        for (RevCommit c : walk) {
            if (!identity.getEmailAddress().equals(c.getCommitterIdent().getEmailAddress())) {
                walk.reset();
                return true;
            }
        }
        walk.reset();
        return false;
    }

    private static String read(Repository repo, RevCommit commit, String path) throws IOException {
        try (TreeWalk walk = TreeWalk.forPath(repo, path, commit.getTree())) {
            if (walk == null || walk.getFileMode(0).getObjectType() != Constants.OBJ_BLOB) {
                return null;
            }
            return new String(repo.open(walk.getObjectId(0)).getBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A commit on {@code base} whose tree is base's with only {@code path} replaced. */
    private ObjectId commit(Repository repo, RevCommit base, String path, String content, String message)
            throws IOException {
        try (ObjectInserter inserter = repo.newObjectInserter(); ObjectReader reader = repo.newObjectReader()) {
            ObjectId blob = inserter.insert(Constants.OBJ_BLOB, content.getBytes(StandardCharsets.UTF_8));
            DirCache index = DirCache.newInCore();
            DirCacheBuilder builder = index.builder();
            builder.addTree(new byte[0], DirCacheEntry.STAGE_0, reader, base.getTree());
            builder.finish();
            DirCacheEditor editor = index.editor();
            editor.add(new DirCacheEditor.PathEdit(path) {
                @Override
                public void apply(DirCacheEntry entry) {
                    entry.setFileMode(FileMode.REGULAR_FILE);
                    entry.setObjectId(blob);
                }
            });
            editor.finish();
            ObjectId tree = index.writeTree(inserter);
            PersonIdent now = new PersonIdent(identity, java.time.Instant.now());
            CommitBuilder commit = new CommitBuilder();
            commit.setTreeId(tree);
            commit.setParentId(base);
            commit.setAuthor(now);
            commit.setCommitter(now);
            commit.setMessage(message);
            ObjectId id = inserter.insert(commit);
            inserter.flush();
            return id;
        }
    }

    static String diff(String path, String before, String after) {
        if (Objects.equals(before, after)) {
            return "";
        }
        List<String> old = before == null ? List.of() : before.lines().toList();
        List<String> now = after.lines().toList();
        List<String> lines = UnifiedDiffUtils.generateUnifiedDiff(before == null ? "/dev/null" : "a/" + path,
                "b/" + path, old, DiffUtils.diff(old, now), 3);
        return String.join("\n", lines) + "\n";
    }
}
