package dev.opencode.tuner.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusPartTest {
  private static final OwnedProcess PROCESS = new OwnedProcess(1, 1, "marker");

  @Test
  void scrapesThePolicyServiceOnItsManagementInterfaceNotItsApiPort() {
    StackState.PartRecord collector = new StackState.PartRecord("collector", true, "http://127.0.0.1:41000", PROCESS,
        Map.of("http", "http://127.0.0.1:41000"));
    StackState.PartRecord policy = new StackState.PartRecord("policy", true, "http://127.0.0.1:42000", PROCESS,
        Map.of("http", "http://127.0.0.1:42000", "management", "http://127.0.0.1:42001"));

    String config = PrometheusPart.config(Duration.ofSeconds(15), "vm-1", collector, policy);

    assertThat(config).contains("""
          - job_name: opencode-egress-collector
            metrics_path: /q/metrics
            static_configs:
              - targets: ['127.0.0.1:41000']
                labels:
                  host: 'vm-1'
        """).contains("""
          - job_name: opencode-egress-policy
            metrics_path: /q/metrics
            static_configs:
              - targets: ['127.0.0.1:42001']
        """).doesNotContain("42000");
  }

  @Test
  void aPolicyServiceRecordedBeforeItHadAManagementInterfaceIsScrapedWhereItServesMetrics() {
    StackState.PartRecord collector = new StackState.PartRecord("collector", true, "http://127.0.0.1:41000", PROCESS,
        Map.of("http", "http://127.0.0.1:41000"));
    StackState.PartRecord policy = new StackState.PartRecord("policy", true, "http://127.0.0.1:42000", PROCESS,
        Map.of("http", "http://127.0.0.1:42000"));

    assertThat(PrometheusPart.config(Duration.ofSeconds(15), "vm-1", collector, policy))
        .contains("targets: ['127.0.0.1:42000']");
  }
}
