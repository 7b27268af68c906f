package dev.opencode.tuner.policy.app.suggest;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Errors as JSON {@code {"error": "..."}}: a bad parameter is 400, an unreachable database 503. */
public final class ApiErrors {
    private static final Logger LOG = Logger.getLogger(ApiErrors.class);

    /** The JSON body of an error. */
    public record ApiError(String error) {
    }

    /** A request parameter that is not valid; the message names it, the value and what is expected. */
    static final class BadRequest extends RuntimeException {
        BadRequest(String message) {
            super(message);
        }
    }

    @ServerExceptionMapper
    public Response badRequest(BadRequest e) {
        return Response.status(Response.Status.BAD_REQUEST).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(e.getMessage())).build();
    }

    @ServerExceptionMapper
    public Response database(SQLException e) {
        LOG.errorf("database query failed: SQLState %s: %s", e.getSQLState(), e.getMessage());
        return Response.status(Response.Status.SERVICE_UNAVAILABLE).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError("the database is not available; see /q/health/ready on the management port"
                        + " (127.0.0.1 only) and the service's log")).build();
    }
}
