/**
 * The agent certificate profile: Writ's object identifiers, the model extension, SPIFFE IDs, the extensions an issuer
 * puts in an agent certificate ({@link dev.writ.core.cert.AgentExtensions}) and the parser that checks a certificate
 * against the profile ({@link dev.writ.core.cert.AgentCertificates#parse}), which returns an
 * {@link dev.writ.core.cert.AgentIdentity} or throws a {@link dev.writ.core.cert.CertificateProfileException} with a
 * stable reason code.
 */
package dev.writ.core.cert;
