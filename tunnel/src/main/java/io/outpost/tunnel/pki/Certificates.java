package io.outpost.tunnel.pki;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.security.cert.X509Certificate;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Small questions about certificates: whose is it, and is it time to renew it.
 *
 * <pre>{@code
 * String cluster = Certificates.commonName(peerCertificate).orElseThrow();
 * if (Certificates.renewalDue(myCertificate, clock)) { ... Renew ... }
 * }</pre>
 */
public final class Certificates {

    private Certificates() {
    }

    /** The first common name (CN) of the subject, if there is one. */
    public static Optional<String> commonName(X509Certificate certificate) {
        X500Name subject = X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded());
        for (RDN rdn : subject.getRDNs(BCStyle.CN)) {
            if (rdn.getFirst() != null && rdn.getFirst().getValue() instanceof ASN1String value) {
                return Optional.of(value.getString());
            }
        }
        return Optional.empty();
    }

    /**
     * When to renew: once two thirds of the certificate's lifetime have passed (a 30-day
     * certificate is renewed after 20 days), leaving a third for retries while the hub is away.
     */
    public static Instant renewalTime(X509Certificate certificate) {
        Instant notBefore = certificate.getNotBefore().toInstant();
        Duration lifetime = Duration.between(notBefore, certificate.getNotAfter().toInstant());
        return notBefore.plus(lifetime.multipliedBy(2).dividedBy(3));
    }

    /** True once {@link #renewalTime} has been reached (also true for expired certificates). */
    public static boolean renewalDue(X509Certificate certificate, Clock clock) {
        return !clock.instant().isBefore(renewalTime(certificate));
    }
}
