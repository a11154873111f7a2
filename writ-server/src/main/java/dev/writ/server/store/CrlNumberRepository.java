package dev.writ.server.store;

import java.math.BigInteger;

/** Monotonic CRL numbers per CA (RFC 5280 §5.2.3), shared by full and delta CRLs. */
public interface CrlNumberRepository {
    /** The next CRL number of a CA (1 for the first), persisted before it is returned. */
    BigInteger next(String ca) throws StoreException;
}
