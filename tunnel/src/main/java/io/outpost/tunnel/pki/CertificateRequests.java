package io.outpost.tunnel.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * Key pairs and PKCS#10 certificate signing requests for the agent side of join and renew.
 *
 * <pre>{@code
 * KeyPair keys = CertificateRequests.newKeyPair();
 * byte[] csr = CertificateRequests.csr(keys, clusterName);   // JoinRequest.csr_der
 * // ... the hub answers with a certificate for keys.getPublic()
 * }</pre>
 */
public final class CertificateRequests {

    private CertificateRequests() {
    }

    /** A new EC key pair on curve P-256 (secp256r1). */
    public static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"), Crypto.RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM cannot generate EC P-256 keys: " + e.getMessage(), e);
        }
    }

    /**
     * A DER PKCS#10 request for {@code keys}, with subject {@code CN=commonName}, signed with the
     * private key. The hub ignores the subject and names the certificate itself; it only checks the
     * signature and takes the public key.
     *
     * @param keys the key pair whose public key is to be certified
     * @param commonName the requested common name (informational)
     * @throws IllegalArgumentException if the common name is blank or the key type is unsupported
     */
    public static byte[] csr(KeyPair keys, String commonName) {
        if (commonName == null || commonName.isBlank()) {
            throw new IllegalArgumentException("a certificate signing request needs a non-blank common name");
        }
        try {
            var subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
            var signer = new JcaContentSignerBuilder(Crypto.signatureAlgorithm(keys.getPrivate()))
                    .build(keys.getPrivate());
            return new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic())
                    .build(signer).getEncoded();
        } catch (OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot build a certificate signing request for CN="
                    + commonName + ": " + e.getMessage(), e);
        }
    }
}
