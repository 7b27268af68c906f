package dev.opencode.tuner.policy.app.review;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonMappingException;
import dev.opencode.tuner.review.Refusal;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.stream.Collectors;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * The review API's errors, as JSON {@code {"error", "field", "suggestion"}}: 400 for a malformed request (the field
 * named), 404 for an unknown suggestion, 409 when the suggestion's state does not allow the decision (with that
 * state), 422 for a well-formed request the rules refuse (the field and the reason named).
 */
public final class ReviewErrors {
    /** The JSON body of an error; {@code suggestion} is the current state on a 409. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Error(String error, String field, ReviewViews.ReviewSuggestion suggestion) {
    }

    /** A request the review API answers with an error status. */
    public static final class Failure extends RuntimeException {
        private final int status;
        private final String field;
        private final transient ReviewViews.ReviewSuggestion suggestion;

        Failure(int status, String field, String message, ReviewViews.ReviewSuggestion suggestion) {
            super(message);
            this.status = status;
            this.field = field;
            this.suggestion = suggestion;
        }

        public int status() {
            return status;
        }

        public String field() {
            return field;
        }

        /** The suggestion as it is now, for a conflict; null otherwise. */
        public ReviewViews.ReviewSuggestion suggestion() {
            return suggestion;
        }
    }

    private ReviewErrors() {
    }

    public static Failure badRequest(String field, String message) {
        return new Failure(400, field, field + ": " + message, null);
    }

    public static Failure notFound(String what) {
        return new Failure(404, null, what, null);
    }

    public static Failure conflict(String message, ReviewViews.ReviewSuggestion current) {
        return new Failure(409, null, message, current);
    }

    public static Failure unprocessable(String field, String message) {
        return new Failure(422, field, field + ": " + message, null);
    }

    /**
     * The failure of a rule's refusal: 400 (malformed), 409 with the suggestion's current state (conflict), 422
     * (refused).
     */
    public static Failure of(Refusal refusal, ReviewViews.ReviewSuggestion current) {
        return switch (refusal.kind()) {
            case MALFORMED -> badRequest(refusal.field(), refusal.message());
            case CONFLICT -> conflict(refusal.message(), current);
            case REFUSED -> unprocessable(refusal.field(), refusal.message());
        };
    }

    /** Maps the review's failures; registered globally, but only this package throws them. */
    public static final class Mappers {
        @ServerExceptionMapper
        public Response failure(Failure e) {
            return Response.status(e.status).type(MediaType.APPLICATION_JSON)
                    .entity(new Error(e.getMessage(), e.field, e.suggestion)).build();
        }

        /** A body that is not JSON at all. */
        @ServerExceptionMapper
        public Response unreadable(com.fasterxml.jackson.core.JsonParseException e) {
            return Response.status(400).type(MediaType.APPLICATION_JSON)
                    .entity(new Error("body: not JSON (" + e.getOriginalMessage().lines().findFirst().orElse("")
                            + ")", "body", null)).build();
        }

        /** A misspelt field: 400 naming it (more specific than Quarkus' own mapper, so this one answers). */
        @ServerExceptionMapper
        public Response unknownField(com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
            return json(e);
        }

        /** A field of the wrong type: 400 naming it. */
        @ServerExceptionMapper
        public Response mismatch(com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
            return json(e);
        }

        /** A body that is not the expected JSON: 400 naming the field Jackson stopped at. */
        @ServerExceptionMapper
        public Response json(JsonMappingException e) {
            String field = e.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."));
            if (field.isEmpty()) {
                field = "body";
            }
            String reason = e.getOriginalMessage() == null ? "malformed" : e.getOriginalMessage().lines().findFirst()
                    .orElse("malformed");
            return Response.status(400).type(MediaType.APPLICATION_JSON)
                    .entity(new Error(field + ": " + reason, field, null)).build();
        }
    }
}
