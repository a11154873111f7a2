/**
 * Scopes: an agent's authority ceiling, carried in the critical {@code id-writ-ce-scope} certificate extension.
 *
 * <p>{@link dev.writ.core.scope.Scope} is the value (strict JSON and DER codecs, the lattice operations, delegation and
 * the action check); {@link dev.writ.core.scope.OperatingHours} is its time dimension. Parsing fails closed with a
 * {@link dev.writ.core.scope.ScopeException}, checks with a {@link dev.writ.core.scope.ScopeViolation}, each carrying a
 * stable reason code. The formats are specified in {@code docs/certificate-profile.md} and
 * {@code docs/asn1/WritExtensions.asn1}.
 */
package dev.writ.core.scope;
