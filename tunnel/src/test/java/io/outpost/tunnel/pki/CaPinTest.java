package io.outpost.tunnel.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CaPinTest {

    private static final String HEX64 = "0123456789abcdef".repeat(4);

    @Test
    void givenACaCertificate_whenPinned_thenItIsSha256OfTheSubjectPublicKeyInfoInLowerHex(@TempDir Path dir)
            throws Exception {
        CertificateAuthority ca = CertificateAuthority.loadOrCreate(dir, "pin-test", Clock.systemUTC());

        String pin = CaPin.of(ca.certificate());

        assertTrue(pin.matches("sha256:[0-9a-f]{64}"), pin);
        // For a JDK EC key, getPublicKey().getEncoded() is the same SubjectPublicKeyInfo DER.
        String expected = "sha256:" + HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(ca.certificate().getPublicKey().getEncoded()));
        assertEquals(expected, pin);
        assertEquals(pin, ca.pin());
    }

    @Test
    void givenUpperCaseAndSpaces_whenParsed_thenNormalisedToLowerCase() {
        assertEquals("sha256:" + HEX64, CaPin.parse("  SHA256:" + HEX64.toUpperCase() + "\n"));
    }

    @Test
    void givenGarbage_whenParsed_thenTheMessageNamesTheInputAndTheExpectedFormat() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaPin.parse("xyz"));

        assertTrue(e.getMessage().startsWith("--ca-hash \"xyz\" is not valid: expected "
                + "sha256:<64 hex characters> as printed by the hub"), e.getMessage());
    }

    @Test
    void givenHexWithoutPrefix_whenParsed_thenTheMessageSaysThePrefixIsMissing() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaPin.parse(HEX64));

        assertTrue(e.getMessage().contains("the \"sha256:\" prefix is missing"), e.getMessage());
    }

    @Test
    void givenTooFewHexCharacters_whenParsed_thenTheMessageCountsThem() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CaPin.parse("sha256:" + HEX64.substring(1)));

        assertTrue(e.getMessage().contains("got 63 hex characters"), e.getMessage());
    }

    @Test
    void givenNonHexCharacters_whenParsed_thenRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CaPin.parse("sha256:" + HEX64.substring(1) + "g"));

        assertTrue(e.getMessage().contains("not hex digits"), e.getMessage());
    }

    @Test
    void givenNoValue_whenParsed_thenRejectedWithTheSameFormatHint() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CaPin.parse(null));

        assertTrue(e.getMessage().contains("expected sha256:<64 hex characters>"), e.getMessage());
    }
}
