package dev.opencode.tuner.it;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.PackageMatcher;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.EvaluationResult;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import dev.opencode.tuner.blocked.ArchitectureFixtureContractUsingJournal;
import dev.opencode.tuner.collector.ArchitectureFixtureCollectorUsingContract;
import dev.opencode.tuner.collector.ArchitectureFixtureCollectorUsingPolicy;
import dev.opencode.tuner.suggest.ArchitectureFixturePolicyUsingCollector;
import dev.opencode.tuner.unplaced.ArchitectureFixtureUnplaced;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The direction of the module graph, checked on the bytecode of every module's main classes (this module's test
 * class path holds them all): the contract at the ground floor depends on no other tuner package; the collector
 * never sees the policy side, nor the policy side the collector; the applications and the CLI are leaves. A Maven
 * dependency that would allow a wrong import is not enough to make one pass: this reads the classes themselves.
 * Adding a package outside the modules below fails too, so that a new one is placed on purpose.
 */
class ArchitectureTest {

    /** A module and the packages its main classes live in (ArchUnit package patterns). */
    record Module(String name, String... packages) {
    }

    static final Module CONTRACT = new Module("contract",
            "dev.opencode.tuner.blocked..", "dev.opencode.tuner.hoststate..", "dev.opencode.tuner.kafka..",
            "dev.opencode.tuner.service..");
    static final Module POLICY_CORE = new Module("policy/core",
            "dev.opencode.tuner.suggest..", "dev.opencode.tuner.nix..");
    static final Module POLICY_EXPORT = new Module("policy/export", "dev.opencode.tuner.export..");
    static final Module POLICY_REVIEW = new Module("policy/review", "dev.opencode.tuner.review..");
    static final Module POLICY_APP = new Module("policy/app", "dev.opencode.tuner.policy..");
    static final Module JOURNAL = new Module("collector/journal", "dev.opencode.tuner.journal..");
    static final Module COLLECTOR_CORE = new Module("collector/core", "dev.opencode.tuner.collector");
    static final Module COLLECTOR_APP = new Module("collector/app", "dev.opencode.tuner.collector.app..");
    static final Module STACK = new Module("stack", "dev.opencode.tuner.stack..");
    static final Module DASHBOARDS = new Module("dashboards", "dev.opencode.tuner.dashboards..");
    static final Module CLI = new Module("cli", "dev.opencode.tuner.cli..");
    static final Module BENCH = new Module("integration-tests (benchmarks)", "dev.opencode.tuner.bench..");

    static final List<Module> MODULES = List.of(CONTRACT, POLICY_CORE, POLICY_EXPORT, POLICY_REVIEW, POLICY_APP, JOURNAL,
            COLLECTOR_CORE, COLLECTOR_APP, STACK, DASHBOARDS, CLI, BENCH);

    /**
     * Who may import whom. Layers are optional so that the rule can be run on a handful of fixture classes below;
     * {@link #everyModuleIsRead()} makes sure the real run sees every module.
     */
    static final LayeredArchitecture DIRECTION = direction()
            .whereLayer(CONTRACT.name()).mayNotAccessAnyLayer()
            .whereLayer(JOURNAL.name()).mayNotAccessAnyLayer()
            .whereLayer(DASHBOARDS.name()).mayNotAccessAnyLayer()
            .whereLayer(POLICY_CORE.name()).mayOnlyAccessLayers(CONTRACT.name())
            .whereLayer(POLICY_EXPORT.name()).mayOnlyAccessLayers(CONTRACT.name(), POLICY_CORE.name())
            .whereLayer(POLICY_REVIEW.name()).mayOnlyAccessLayers(CONTRACT.name(), POLICY_CORE.name())
            .whereLayer(POLICY_APP.name()).mayOnlyAccessLayers(CONTRACT.name(), POLICY_CORE.name(),
                    POLICY_EXPORT.name(), POLICY_REVIEW.name())
            .whereLayer(COLLECTOR_CORE.name()).mayOnlyAccessLayers(CONTRACT.name(), JOURNAL.name())
            .whereLayer(COLLECTOR_APP.name())
                    .mayOnlyAccessLayers(CONTRACT.name(), JOURNAL.name(), COLLECTOR_CORE.name())
            .whereLayer(STACK.name()).mayOnlyAccessLayers(CONTRACT.name())
            .whereLayer(CLI.name()).mayOnlyAccessLayers(CONTRACT.name(), POLICY_CORE.name(), POLICY_EXPORT.name(),
                    JOURNAL.name(), STACK.name())
            .whereLayer(BENCH.name()).mayOnlyAccessLayers(CONTRACT.name(), POLICY_CORE.name(), POLICY_EXPORT.name(),
                    JOURNAL.name(), COLLECTOR_CORE.name(), STACK.name(), CLI.name())
            .ensureAllClassesAreContainedInArchitecture();

    /** Main classes only: not this module's tests, nor the test jars (journal fixtures, fake forge) it uses. */
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.matches(Pattern.compile(".*-tests\\.jar!/.*")))
            .importPackages("dev.opencode.tuner");

    private static LayeredArchitecture direction() {
        LayeredArchitecture layers = layeredArchitecture()
                .consideringOnlyDependenciesInAnyPackage("dev.opencode.tuner..")
                .withOptionalLayers(true);
        for (Module module : MODULES) {
            layers = layers.layer(module.name()).definedBy(module.packages());
        }
        return layers;
    }

    @Test
    void everyModuleIsRead() {
        for (Module module : MODULES) {
            long classes = MAIN.stream().filter(c -> Arrays.stream(module.packages())
                    .anyMatch(p -> PackageMatcher.of(p).matches(c.getPackageName()))).count();
            assertThat(classes).as("main classes of %s on the class path", module.name()).isPositive();
        }
        assertThat(MAIN.stream().map(c -> c.getSource().map(s -> s.getUri().toString()).orElse("")))
                .as("no test classes").noneMatch(uri -> uri.contains("test-classes") || uri.contains("-tests.jar"));
    }

    @Test
    void importsFollowTheDirectionOfTheModuleGraph() {
        DIRECTION.check(MAIN);
    }

    // The rule can fail: each fixture (in this module's tests, so outside MAIN) imports against the direction.

    @Test
    void aCollectorClassImportingThePolicyEngineFails() {
        assertViolation(ArchitectureFixtureCollectorUsingPolicy.class, "dev.opencode.tuner.suggest.Aggregator");
    }

    @Test
    void aContractClassImportingAnyOtherTunerPackageFails() {
        assertViolation(ArchitectureFixtureContractUsingJournal.class, "dev.opencode.tuner.journal.Journal");
    }

    @Test
    void thePolicyEngineImportingTheCollectorFails() {
        assertViolation(ArchitectureFixturePolicyUsingCollector.class, "dev.opencode.tuner.collector.JournalFollower");
    }

    @Test
    void aPackageOfNoModuleFails() {
        assertViolation(ArchitectureFixtureUnplaced.class, "is not contained in architecture");
    }

    @Test
    void aCollectorClassUsingTheContractAndTheJournalPasses() {
        EvaluationResult result = DIRECTION.evaluate(
                new ClassFileImporter().importClasses(ArchitectureFixtureCollectorUsingContract.class));
        assertThat(result.getFailureReport().getDetails()).isEmpty();
    }

    private static void assertViolation(Class<?> fixture, String expected) {
        EvaluationResult result = DIRECTION.evaluate(new ClassFileImporter().importClasses(fixture));
        assertThat(result.hasViolation()).as("a violation for %s", fixture.getName()).isTrue();
        assertThat(result.getFailureReport().getDetails())
                .anySatisfy(line -> assertThat(line).contains(fixture.getName()).contains(expected));
    }
}
