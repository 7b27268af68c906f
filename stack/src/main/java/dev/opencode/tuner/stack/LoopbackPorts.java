package dev.opencode.tuner.stack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Ports on 127.0.0.1: a free one for a first start, and a check that a recorded one can still be bound. */
final class LoopbackPorts {

  static final String HOST = "127.0.0.1";

  private LoopbackPorts() {}

  /** A port the kernel considers free now (another process may still take it before the server binds it). */
  static int free() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new StackException("cannot find a free port on " + HOST + ": " + e.getMessage(), e);
    }
  }

  /** A free port different from {@code other}. */
  static int freeExcept(int other) {
    for (int i = 0; i < 20; i++) {
      int port = free();
      if (port != other) {
        return port;
      }
    }
    throw new StackException("cannot find a second free port on " + HOST);
  }

  /** Fails with a message naming the port and where it was configured when it cannot be bound. */
  static void requireBindable(int port, String what) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true); // as the servers do: a port in TIME_WAIT after our own stop is fine
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
    } catch (IOException e) {
      throw new StackException(HOST + ":" + port + " (" + what + ") is in use by another process (" + e.getMessage()
          + "); stop that process, or choose another port");
    }
  }
}
