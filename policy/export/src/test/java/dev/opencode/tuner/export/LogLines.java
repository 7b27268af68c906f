package dev.opencode.tuner.export;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.text.MessageFormat;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Every log line of the JVM while open, at every level: the root java.util.logging logger set to ALL, which JGit's and
 * Apache MINA sshd's SLF4J lines reach through slf4j-jdk14. Each line keeps its exception's full stack trace.
 */
final class LogLines extends Handler implements AutoCloseable {
    private final Logger root = Logger.getLogger("");
    private final Level rootLevel;
    private final List<String> lines = new ArrayList<>();

    LogLines() {
        rootLevel = root.getLevel();
        setLevel(Level.ALL);
        root.setLevel(Level.ALL);
        root.addHandler(this);
    }

    @Override
    public void publish(LogRecord record) {
        String message = record.getMessage();
        if (message != null && record.getParameters() != null && record.getParameters().length > 0) {
            try {
                message = MessageFormat.format(message, record.getParameters());
            } catch (IllegalArgumentException e) {
                message = message + " " + List.of(record.getParameters());
            }
        }
        StringBuilder line = new StringBuilder(record.getLoggerName() + ": " + message);
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            record.getThrown().printStackTrace(new PrintWriter(trace));
            line.append('\n').append(trace);
        }
        synchronized (lines) {
            lines.add(line.toString());
        }
    }

    List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        root.removeHandler(this);
        root.setLevel(rootLevel);
    }
}
