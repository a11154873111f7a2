package dev.writ.server.gateway;

/** A route map that cannot be read or is invalid; the message names the file and line. */
public final class RouteMapException extends Exception {
    public RouteMapException(String message) {
        super(message);
    }

    public RouteMapException(String message, Throwable cause) {
        super(message, cause);
    }
}
