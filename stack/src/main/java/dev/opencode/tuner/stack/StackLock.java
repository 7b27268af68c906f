package dev.opencode.tuner.stack;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;

/** An exclusive lock on {@code stack.lock}, held while {@code up} or {@code down} changes the state directory. */
final class StackLock implements AutoCloseable {

  private final FileChannel channel;
  private final FileLock lock;

  private StackLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  static StackLock acquire(StateLayout layout) {
    StateFiles.createDirectories(layout.root());
    FileChannel channel = null;
    try {
      channel = FileChannel.open(layout.lockFile(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = channel.tryLock();
      if (lock == null) {
        throw busy(layout, null);
      }
      return new StackLock(channel, lock);
    } catch (OverlappingFileLockException e) {
      closeQuietly(channel);
      throw busy(layout, e);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new StackException("cannot lock " + layout.lockFile() + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(channel);
      throw e;
    }
  }

  private static StackException busy(StateLayout layout, Throwable cause) {
    return new StackException("another ./tuner up or down is running on " + layout.root() + " (" + layout.lockFile()
        + " is locked); wait for it to finish", cause);
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // The lock attempt already failed; that error is the one to report.
      }
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException e) {
      throw new StackException("cannot release " + lock + ": " + e.getMessage(), e);
    }
  }
}
