package dev.writ.server.forensic;

import dev.writ.server.api.ApiException;
import dev.writ.server.api.Auth;
import dev.writ.server.api.Exchange;
import dev.writ.server.api.Router;
import java.util.Set;

/**
 * {@code GET /api/v1/forensics/{jti}} (the chain of custody as JSON) and {@code GET /api/v1/forensics/{jti}/bundle}
 * (the evidence bundle, {@code application/zip}), for an operator token of role {@code auditor} (or {@code admin}).
 * Agent credentials are refused (403 {@code auth.agent_forbidden}): forensics shows denial details, which the model
 * must never see. Mount at {@code /api/v1/forensics}.
 */
public final class ForensicHandler {
    /** Where the handler is mounted. */
    public static final String PATH = "/api/v1/forensics";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ForensicHandler.class);

    /** The roles that may read forensics (admin always may). */
    public static final Set<String> ROLES = Set.of("auditor");

    private ForensicHandler() {}

    public static Router router(ForensicService service, Auth auth) {
        return new Router()
                .get(PATH + "/{jti}", ex -> {
                    auth.operator(ex.request(), ROLES);
                    ex.json(200, investigate(service, ex).toJson());
                })
                .get(PATH + "/{jti}/bundle", ex -> {
                    auth.operator(ex.request(), ROLES);
                    ForensicService.Investigation inv = investigate(service, ex);
                    ex.response()
                            .getHeaders()
                            .put(
                                    "Content-Disposition",
                                    "attachment; filename=\"writ-evidence-"
                                            + inv.report().subject() + ".zip\"");
                    ex.bytes(200, "application/zip", inv.bundle());
                });
    }

    private static ForensicService.Investigation investigate(ForensicService service, Exchange ex) throws ApiException {
        try {
            return service.investigate(ex.param("jti"));
        } catch (ForensicException e) {
            if (e.status() >= 500) {
                // Two faces: the cause for the operator's log, a stable generic answer for the caller.
                LOG.error("forensics for {} failed (request {})", ex.param("jti"), ex.requestId(), e);
            }
            throw new ApiException(e.status(), e.code(), e.status() >= 500 ? "forensics unavailable" : e.getMessage());
        }
    }
}
