package io.outpost.tunnel.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificatesTest {

    private static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");

    @Test
    void givenAThirtyDayCertificate_whenAskedForRenewal_thenDueOnceTwoThirdsOfItsLifeHavePassed(@TempDir Path dir) {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "ca", Clock.fixed(NOW, ZoneOffset.UTC));
        X509Certificate client = ca.signClient(CertificateRequests.csr(CertificateRequests.newKeyPair(), "x"), "edge",
                Duration.ofDays(30));
        Instant renewAt = Certificates.renewalTime(client);

        // lifetime = 30 days + the 5 minute backdating
        assertEquals(NOW.minus(CertificateAuthority.CLOCK_SKEW)
                .plus(Duration.ofDays(30).plus(CertificateAuthority.CLOCK_SKEW).multipliedBy(2).dividedBy(3)), renewAt);
        assertFalse(Certificates.renewalDue(client, Clock.fixed(renewAt.minusSeconds(1), ZoneOffset.UTC)));
        assertTrue(Certificates.renewalDue(client, Clock.fixed(renewAt, ZoneOffset.UTC)));
        assertTrue(Certificates.renewalDue(client, Clock.fixed(NOW.plus(Duration.ofDays(60)), ZoneOffset.UTC)));
    }
}
