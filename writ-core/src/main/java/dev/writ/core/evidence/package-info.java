/**
 * Offline verification of Writ evidence: signed denial records ({@link dev.writ.core.evidence.DenialVerifier}) and
 * evidence bundles exported by {@code writ forensic --bundle} ({@link dev.writ.core.evidence.EvidenceBundleVerifier}).
 * Needs only the trust domain's root certificate: every other certificate, OCSP response, policy bundle, log entry,
 * inclusion proof and the signed checkpoint travel in the bundle. No server classes, no clock of its own.
 */
package dev.writ.core.evidence;
