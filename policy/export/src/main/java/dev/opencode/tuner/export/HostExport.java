package dev.opencode.tuner.export;

import java.util.List;

/** Everything in force for one host by decision: the input of one export. */
public record HostExport(String host, List<ExportEntry> entries) {
    public HostExport {
        HostNames.require(host);
        entries = List.copyOf(entries);
    }
}
