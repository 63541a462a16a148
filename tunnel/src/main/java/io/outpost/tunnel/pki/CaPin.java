package io.outpost.tunnel.pki;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The CA pin: {@code sha256:<64 lower-case hex>} of the DER SubjectPublicKeyInfo of a CA
 * certificate, the same format as kubeadm's {@code --discovery-token-ca-cert-hash}.
 *
 * <pre>{@code
 * String printed = CaPin.of(ca.certificate());        // hub: "sha256:3f2a..."
 * String pin = CaPin.parse(commandLine.caHash());      // agent: validates the user's --ca-hash
 * }</pre>
 *
 * <p>Because only the public key is hashed, a CA certificate re-issued with the same key keeps its
 * pin.
 */
public final class CaPin {

    /** The only supported hash prefix. */
    public static final String PREFIX = "sha256:";

    private static final Pattern VALID = Pattern.compile("sha256:[0-9a-f]{64}");
    private static final int MAX_ECHO = 80;

    private CaPin() {
    }

    /**
     * Computes the pin of a certificate's public key.
     *
     * @param ca the CA certificate (any certificate works; only its SubjectPublicKeyInfo is hashed)
     * @return {@code sha256:} followed by 64 lower-case hex characters
     * @throws IllegalArgumentException if the certificate cannot be encoded
     */
    public static String of(X509Certificate ca) {
        byte[] spki;
        try {
            // Hash the SubjectPublicKeyInfo exactly as it appears in the certificate (like Go's
            // RawSubjectPublicKeyInfo), not a re-encoding of the parsed java.security.PublicKey.
            spki = org.bouncycastle.asn1.x509.Certificate.getInstance(ca.getEncoded())
                    .getSubjectPublicKeyInfo().getEncoded("DER");
        } catch (CertificateEncodingException | java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot compute the CA pin of certificate "
                    + ca.getSubjectX500Principal() + ": " + e.getMessage(), e);
        }
        return PREFIX + HexFormat.of().formatHex(sha256(spki));
    }

    /**
     * Validates and normalises a pin typed by a user.
     *
     * <p>Surrounding white space is ignored and the whole value is case-insensitive; the result is
     * lower case so it can be compared with {@link #of} by {@code equals}.
     *
     * @param userInput the value of {@code --ca-hash}
     * @return the normalised pin
     * @throws IllegalArgumentException naming the input if it is not {@code sha256:} + 64 hex
     *     characters
     */
    public static String parse(String userInput) {
        if (userInput == null) {
            throw invalid("", "no value was given");
        }
        String normalised = userInput.strip().toLowerCase(Locale.ROOT);
        if (VALID.matcher(normalised).matches()) {
            return normalised;
        }
        String reason;
        if (!normalised.startsWith(PREFIX)) {
            reason = normalised.matches("[0-9a-f]{64}")
                    ? "the \"sha256:\" prefix is missing"
                    : "it does not start with \"sha256:\"";
        } else {
            String hex = normalised.substring(PREFIX.length());
            reason = hex.matches("[0-9a-f]*")
                    ? "got " + hex.length() + " hex characters"
                    : "it contains characters that are not hex digits";
        }
        throw invalid(userInput, reason);
    }

    private static IllegalArgumentException invalid(String input, String reason) {
        String echo = input.length() > MAX_ECHO ? input.substring(0, MAX_ECHO) + "..." : input;
        return new IllegalArgumentException("--ca-hash \"" + echo + "\" is not valid: expected "
                + "sha256:<64 hex characters> as printed by the hub (" + reason + ")");
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }
}
