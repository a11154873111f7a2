package dev.writ.server.store;

/** The repositories visible inside one transaction. Valid only while the transaction runs. */
public interface StoreTx {
    TenantRepository tenants();

    AgentRepository agents();

    CertificateRepository certificates();

    CredentialRepository credentials();

    OperatorTokenRepository operatorTokens();

    EventRepository events();

    CrlNumberRepository crlNumbers();
}
