package dev.opencode.tuner.stack;

import dev.opencode.tuner.kafka.HostTopics;
import dev.opencode.tuner.kafka.KafkaLogin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The broker's accounts and what each may do. Every client logs in with SASL/SCRAM-SHA-512; the broker's own account
 * ({@value #BROKER}) and the controller's ({@value #CONTROLLER}, PLAIN on the loopback controller listener, since
 * KRaft controllers cannot check SCRAM) are super users. The ACLs allow, and nothing else is allowed:
 * <ul>
 *   <li>{@code collector-<host>}: write and describe its own host's topics ({@link TunerTopics#forHost});</li>
 *   <li>{@value #POLICY}: read every host's blocked-event and host-state topics, use the policy's consumer groups,
 *       and write (and create) the two dead-letter topics.</li>
 * </ul>
 * Passwords are random (256 bits, base64url), each in {@code credentials/kafka-<account>.password} (0600), created on
 * first use and kept; the broker reads its own through a {@code DirectoryConfigProvider}, so its generated
 * configuration holds no secret.
 */
public final class KafkaAccounts {
  public static final String BROKER = "tuner-broker";
  public static final String CONTROLLER = "tuner-controller";
  public static final String POLICY = "tuner-policy";
  public static final String MECHANISM = KafkaLogin.MECHANISM;
  static final String COLLECTOR_PREFIX = "collector-";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final StateLayout layout;
  private final String bootstrap;

  KafkaAccounts(StateLayout layout, String bootstrap) {
    this.layout = layout;
    this.bootstrap = bootstrap;
  }

  /** A user name and the file with its password. */
  public record Login(String username, Path passwordFile) {
    /** The Kafka client settings of this login (SASL_PLAINTEXT, SCRAM-SHA-512, the JAAS line). */
    public Map<String, String> clientProperties() {
      return KafkaLogin.clientProperties("kafka login " + username, username, passwordFile);
    }
  }

  /** The account name of a host's collector. */
  public static String collector(String host) {
    HostTopics.topic("x", host);
    return COLLECTOR_PREFIX + host;
  }

  /** The broker's own account: a super user. Tests and tools use it; no part of the pipeline does. */
  public Login broker() {
    return login(layout, BROKER);
  }

  /**
   * The policy service's account, created or updated with its ACLs and the dead-letter topics. Idempotent.
   */
  public Login policy(TunerTopics topics) {
    Login login = upsert(POLICY);
    List<AclBinding> acls = new ArrayList<>();
    for (String base : List.of(topics.blocked(), topics.hostState())) {
      acls.addAll(allow(POLICY, ResourceType.TOPIC, base + ".", PatternType.PREFIXED, AclOperation.READ,
          AclOperation.DESCRIBE));
    }
    for (String deadLetter : List.of(topics.blockedDeadLetter(), topics.hostStateDeadLetter())) {
      acls.addAll(allow(POLICY, ResourceType.TOPIC, deadLetter, PatternType.LITERAL, AclOperation.WRITE,
          AclOperation.DESCRIBE, AclOperation.CREATE));
    }
    acls.addAll(allow(POLICY, ResourceType.GROUP, topics.policyGroupPrefix(), PatternType.PREFIXED, AclOperation.READ,
        AclOperation.DESCRIBE));
    createAcls(acls);
    KafkaServer.createTopics(bootstrap, layout, topics.deadLetterTopics());
    return login;
  }

  /**
   * The account of {@code host}'s collector, created or updated with the host's topics and ACLs that let it write
   * those topics and nothing else. Idempotent.
   */
  public Login collector(String host, TunerTopics topics) {
    String user = collector(host);
    Login login = upsert(user);
    Map<String, Integer> hostTopics = topics.forHost(host);
    KafkaServer.createTopics(bootstrap, layout, hostTopics);
    List<AclBinding> acls = new ArrayList<>();
    for (String topic : hostTopics.keySet()) {
      acls.addAll(allow(user, ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.WRITE,
          AclOperation.DESCRIBE));
    }
    createAcls(acls);
    return login;
  }

  // ---------------------------------------------------------------------------------------------------------------

  static Path passwordFile(StateLayout layout, String account) {
    return layout.credentials().resolve("kafka-" + account + ".password");
  }

  static Login login(StateLayout layout, String account) {
    Path file = passwordFile(layout, account);
    if (!Files.exists(file)) {
      throw new StackException("the Kafka password of " + account + " is missing (" + file + "); run ./tuner up");
    }
    return new Login(account, file);
  }

  /** Creates the password file of {@code account} when missing (0600, in the 0700 credentials directory). */
  static void ensurePassword(StateLayout layout, String account) {
    StateFiles.privateDirectory(layout.credentials());
    Path file = passwordFile(layout, account);
    if (!Files.exists(file)) {
      byte[] bytes = new byte[32];
      RANDOM.nextBytes(bytes);
      StateFiles.writePrivate(file, Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    }
  }

  static String password(StateLayout layout, String account) {
    return KafkaLogin.readPassword("the Kafka password of " + account, passwordFile(layout, account));
  }

  /**
   * The broker's security settings: SCRAM-SHA-512 on the client listener (also between brokers), PLAIN on the
   * controller listener, the standard authorizer with no access unless an ACL allows it. Secrets are references that
   * the broker resolves from the credentials directory at start.
   */
  static Map<String, String> brokerSecurity(StateLayout layout) {
    String dir = layout.credentials().toString();
    String brokerPassword = "${dir:" + dir + ":" + passwordFile(layout, BROKER).getFileName() + "}";
    String controllerPassword = "${dir:" + dir + ":" + passwordFile(layout, CONTROLLER).getFileName() + "}";
    Map<String, String> p = new LinkedHashMap<>();
    p.put("config.providers", "dir");
    p.put("config.providers.dir.class", "org.apache.kafka.common.config.provider.DirectoryConfigProvider");
    p.put("config.providers.dir.param.allowed.paths", dir);
    p.put("listener.security.protocol.map", "CLIENT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT");
    p.put("sasl.enabled.mechanisms", MECHANISM);
    p.put("sasl.mechanism.inter.broker.protocol", MECHANISM);
    p.put("listener.name.client.scram-sha-512.sasl.jaas.config", KafkaLogin.jaas(BROKER, brokerPassword));
    p.put("sasl.mechanism.controller.protocol", "PLAIN");
    p.put("listener.name.controller.sasl.enabled.mechanisms", "PLAIN");
    p.put("listener.name.controller.plain.sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + CONTROLLER + "\" password=\""
            + controllerPassword + "\" user_" + CONTROLLER + "=\"" + controllerPassword + "\";");
    p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
    p.put("super.users", "User:" + BROKER + ";User:" + CONTROLLER);
    p.put("allow.everyone.if.no.acl.found", "false");
    return p;
  }

  private Login upsert(String user) {
    ensurePassword(layout, user);
    String password = password(layout, user);
    try (Admin admin = KafkaServer.admin(bootstrap, layout)) {
      admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
          new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password))).all().get(30, TimeUnit.SECONDS);
      // The controller has the account; the broker applies it a moment later. Return once the broker has it, so
      // that a client started next does not fail its first login.
      awaitApplied("the Kafka account " + user, () -> admin.describeUserScramCredentials(List.of(user)).all()
          .get(10, TimeUnit.SECONDS).containsKey(user));
    } catch (ExecutionException | TimeoutException e) {
      throw new StackException("cannot create the Kafka account " + user + " on " + bootstrap + ": "
          + KafkaServer.rootMessage(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while creating the Kafka account " + user, e);
    }
    return login(layout, user);
  }

  /** A broker-side view that must catch up with what the controller committed. */
  private interface Check {
    boolean done() throws ExecutionException, TimeoutException, InterruptedException;
  }

  private static void awaitApplied(String what, Check check)
      throws ExecutionException, TimeoutException, InterruptedException {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    while (!check.done()) {
      if (System.nanoTime() > deadline) {
        throw new TimeoutException(what + " not applied by the broker within 30 s");
      }
      Thread.sleep(50);
    }
  }

  private static List<AclBinding> allow(String user, ResourceType type, String name, PatternType patternType,
      AclOperation... operations) {
    List<AclBinding> acls = new ArrayList<>();
    for (AclOperation operation : operations) {
      acls.add(new AclBinding(new ResourcePattern(type, name, patternType),
          new AccessControlEntry("User:" + user, "*", operation, AclPermissionType.ALLOW)));
    }
    return acls;
  }

  private void createAcls(List<AclBinding> acls) {
    try (Admin admin = KafkaServer.admin(bootstrap, layout)) {
      admin.createAcls(acls).all().get(30, TimeUnit.SECONDS);
      // As for accounts: the broker's authorizer applies new ACLs a moment after the controller committed them; a
      // producer started before that gets TopicAuthorizationException on its first records.
      awaitApplied("Kafka ACLs", () -> {
        java.util.Collection<AclBinding> present = admin.describeAcls(org.apache.kafka.common.acl.AclBindingFilter.ANY)
            .values().get(10, TimeUnit.SECONDS);
        return present.containsAll(acls);
      });
    } catch (ExecutionException | TimeoutException e) {
      throw new StackException("cannot create Kafka ACLs on " + bootstrap + ": " + KafkaServer.rootMessage(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StackException("interrupted while creating Kafka ACLs", e);
    }
  }
}
