package dev.opencode.tuner.policy.app.hoststate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.opencode.tuner.policy.app.auth.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** What each host last reported of its nftables egress table: read-only. */
@Path("/api/v1/host-states")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed({Roles.VIEWER, Roles.REVIEWER, Roles.ADMIN})
@SecurityRequirement(name = "SecurityScheme")
@Tag(name = "host states")
@APIResponse(responseCode = "401", description = "No credentials, or wrong ones")
@APIResponse(responseCode = "403", description = "The account has none of the roles viewer, reviewer, admin")
public class HostStatesResource {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final DataSource dataSource;

    HostStatesResource(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** An allowlist entry in force on a host, with its counter and when it last moved. */
    public record AllowCounter(String instance, String cidr, long packets, long bytes, String firstReported,
                               String lastUsed) {
    }

    /** A destination the host's rules dropped packets to, exactly counted. */
    public record BlockedCounter(String instance, String destination, long packets, long bytes, String expiresAt) {
    }

    /** One host's last report. */
    public record HostStateView(String host, String readAt, String receivedAt, JsonNode problems,
                                List<AllowCounter> allow, List<BlockedCounter> blocked) {
    }

    /** The reports, sorted by host. */
    public record HostStateList(List<HostStateView> hosts) {
    }

    @GET
    @Operation(summary = "Each host's last nftables report: allowlist entries in force with counters and last use,"
            + " exactly counted blocked destinations, and the problems of the last read")
    @APIResponse(responseCode = "200", description = "The hosts, sorted by name")
    public HostStateList hosts() throws SQLException {
        Map<String, HostStateView> hosts = new LinkedHashMap<>();
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT host, read_at, received_at, problems::text FROM host_state ORDER BY host");
                 ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    JsonNode problems;
                    try {
                        problems = JSON.readTree(r.getString(4));
                    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                        throw new SQLException("host_state.problems of " + r.getString(1) + " is not JSON", e);
                    }
                    hosts.put(r.getString(1), new HostStateView(r.getString(1), time(r.getTimestamp(2)),
                            time(r.getTimestamp(3)), problems, new ArrayList<>(), new ArrayList<>()));
                }
            }
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT host, instance, cidr::text, packets, bytes, first_reported, last_used
                      FROM host_allow_counter ORDER BY host, instance, cidr""");
                 ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    HostStateView view = hosts.get(r.getString(1));
                    if (view != null) {
                        view.allow().add(new AllowCounter(r.getString(2), r.getString(3), r.getLong(4), r.getLong(5),
                                time(r.getTimestamp(6)), time(r.getTimestamp(7))));
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT host, instance, destination, packets, bytes, expires_at
                      FROM host_blocked_counter ORDER BY host, instance, packets DESC, destination""");
                 ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    HostStateView view = hosts.get(r.getString(1));
                    if (view != null) {
                        view.blocked().add(new BlockedCounter(r.getString(2), r.getString(3), r.getLong(4),
                                r.getLong(5), time(r.getTimestamp(6))));
                    }
                }
            }
        }
        return new HostStateList(List.copyOf(hosts.values()));
    }

    private static String time(Timestamp t) {
        return t == null ? null : t.toInstant().toString();
    }
}
