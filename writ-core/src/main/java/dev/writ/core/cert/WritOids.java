package dev.writ.core.cert;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;

/**
 * Writ's object identifiers, under its own UUID arc (ITU-T X.667):
 * {@code 2.25.246553221630226637593243269684017702020} (UUID b97c6c59-9b25-433e-8eb3-44dd21432484).
 */
public final class WritOids {
    private WritOids() {}

    /** The arc itself. */
    public static final ASN1ObjectIdentifier ARC =
            new ASN1ObjectIdentifier("2.25.246553221630226637593243269684017702020");

    /** {@code id-writ-ce-scope}: the agent's authority ceiling; always critical. */
    public static final ASN1ObjectIdentifier SCOPE = ARC.branch("1");

    /** {@code id-writ-ce-model}: the model the agent runs; non-critical. */
    public static final ASN1ObjectIdentifier MODEL = ARC.branch("2");

    /** {@code id-writ-kp-agentAction}: the only extended key usage of an agent certificate. */
    public static final ASN1ObjectIdentifier KP_AGENT_ACTION = ARC.branch("3");
}
