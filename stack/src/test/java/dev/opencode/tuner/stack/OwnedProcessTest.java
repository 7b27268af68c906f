package dev.opencode.tuner.stack;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class OwnedProcessTest {

  private Process sleeper;

  @AfterEach
  void killSleeper() {
    if (sleeper != null) {
      sleeper.destroyForcibly();
    }
  }

  @Test
  void recognisesAndStopsItsOwnProcess() throws IOException, InterruptedException {
    sleeper = new ProcessBuilder("sleep", "301").start();
    OwnedProcess process = OwnedProcess.of(sleeper.pid(), "sleep 301");

    assertThat(process.isRunning()).isTrue();
    assertThat(process.stop(Duration.ofSeconds(10))).isEqualTo(OwnedProcess.StopOutcome.STOPPED);
    assertThat(process.isRunning()).isFalse();
    // The JDK reaps its child on its own thread, a moment after the exit that stop observed in /proc.
    assertThat(sleeper.waitFor(5, TimeUnit.SECONDS)).isTrue();
    assertThat(sleeper.exitValue()).isEqualTo(143); // 128 + SIGTERM
  }

  @Test
  void neverSignalsAPidThatNowBelongsToAnotherProcess() throws IOException {
    sleeper = new ProcessBuilder("sleep", "302").start();
    OwnedProcess real = OwnedProcess.of(sleeper.pid(), "sleep 302");
    // The same pid with another start time: what a record looks like after the kernel reused the pid.
    OwnedProcess reused = new OwnedProcess(real.pid(), real.startTicks() - 1, real.marker());
    // The same pid and start time, but another program: a record that does not describe this process.
    OwnedProcess otherProgram = new OwnedProcess(real.pid(), real.startTicks(), "kafka.Kafka /elsewhere");

    assertThat(reused.isRunning()).isFalse();
    assertThat(otherProgram.isRunning()).isFalse();
    assertThat(reused.stop(Duration.ofSeconds(1))).isEqualTo(OwnedProcess.StopOutcome.NOT_RUNNING);
    assertThat(otherProgram.stop(Duration.ofSeconds(1))).isEqualTo(OwnedProcess.StopOutcome.NOT_RUNNING);
    reused.kill();
    assertThat(sleeper.isAlive()).isTrue();
  }

  @Test
  void staysRunningWhileSetsidExecsItsProgram() throws IOException, InterruptedException {
    // The parts start as "setsid <program>": setsid execs the program in the same process right after the start, and
    // during an execve the kernel shows an empty /proc/<pid>/cmdline. Before the fix, about one start in seven (one
    // in three for java) looked dead here, and ./tuner up said "the Kafka broker exited during its start".
    int starts = 60;
    int lookedDead = 0;
    for (int i = 0; i < starts; i++) {
      sleeper = new ProcessBuilder("setsid", "sleep", "303").start();
      OwnedProcess process = OwnedProcess.of(sleeper.pid(), "sleep 303");
      long end = System.nanoTime() + Duration.ofMillis(30).toNanos();
      while (System.nanoTime() < end) {
        if (!process.isRunning()) {
          lookedDead++;
          break;
        }
      }
      assertThat(sleeper.isAlive()).isTrue();
      sleeper.destroyForcibly();
      sleeper.waitFor(5, TimeUnit.SECONDS);
    }
    assertThat(lookedDead).as("starts that looked dead while alive, of " + starts).isZero();
  }

  @Test
  void killsAProcessThatIgnoresSigterm() throws IOException {
    sleeper = new ProcessBuilder("sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done").start();
    sleeper.getInputStream().read(); // the trap is set once "ready" is written
    OwnedProcess process = OwnedProcess.of(sleeper.pid(), "trap");

    assertThat(process.stop(Duration.ofMillis(500))).isEqualTo(OwnedProcess.StopOutcome.KILLED);
    assertThat(process.isRunning()).isFalse();
  }
}
