package io.outpost.tunnel.pki;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a TLS server only if its chain contains a CA certificate whose {@link CaPin pin} is the
 * expected one and the server's certificate validates (PKIX: signatures, validity, basic
 * constraints) with that CA as the only trust anchor. For the join call only, where the pin given
 * as {@code --ca-hash} is the trust root, as in kubeadm.
 *
 * <pre>{@code
 * PinnedCaTrustManager pinned = new PinnedCaTrustManager(CaPin.parse(caHashFlag));
 * ManagedChannel channel = Grpc.newChannelBuilderForAddress(host, port, Tls.pinnedJoinCredentials(pinned)).build();
 * JoinResponse response = TunnelGrpc.newBlockingStub(channel).join(request);
 * X509Certificate hubCa = pinned.matchedCa().orElseThrow();   // save it: trust root for mTLS from now on
 * }</pre>
 *
 * <p>The host name is deliberately not checked: the pin already identifies the hub, and the agent
 * may reach it by an address that is not in the server certificate. The hub must present its CA in
 * the chain (leaf + CA), which {@link Tls#serverCredentials} does. The server's certificate, if it
 * has an extended key usage, must allow serverAuth. Thread-safe.
 */
public final class PinnedCaTrustManager extends X509ExtendedTrustManager {

    private final String expectedPin;
    private final Clock clock;
    private final AtomicReference<X509Certificate> matched = new AtomicReference<>();

    /**
     * @param expectedPin the pin, as accepted by {@link CaPin#parse} (it is normalised)
     * @throws IllegalArgumentException if the pin is not valid
     */
    public PinnedCaTrustManager(String expectedPin) {
        this(expectedPin, Clock.systemUTC());
    }

    /**
     * @param expectedPin the pin, as accepted by {@link CaPin#parse} (it is normalised)
     * @param clock time source for validity checks
     * @throws IllegalArgumentException if the pin is not valid
     */
    public PinnedCaTrustManager(String expectedPin, Clock clock) {
        this.expectedPin = CaPin.parse(expectedPin);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The expected pin, normalised. */
    public String expectedPin() {
        return expectedPin;
    }

    /**
     * The CA certificate of the last server chain this trust manager accepted; empty until a
     * handshake has succeeded.
     */
    public Optional<X509Certificate> matchedCa() {
        return Optional.ofNullable(matched.get());
    }

    /**
     * Checks a server chain as described in the class documentation.
     *
     * @throws CertificateException saying why, e.g. {@code the hub's CA does not match --ca-hash:
     *     expected sha256:..., the hub presented sha256:...}
     */
    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the hub presented no certificate");
        }
        int caIndex = -1;
        Set<String> presentedCaPins = new LinkedHashSet<>();
        for (int i = 0; i < chain.length; i++) {
            if (chain[i].getBasicConstraints() < 0) {
                continue;
            }
            String pin = CaPin.of(chain[i]);
            presentedCaPins.add(pin);
            if (pin.equals(expectedPin) && caIndex < 0) {
                caIndex = i;
            }
        }
        if (caIndex < 0) {
            if (presentedCaPins.isEmpty()) {
                throw new CertificateException("the hub did not present a CA certificate, so --ca-hash "
                        + expectedPin + " cannot be checked: it sent " + describe(chain)
                        + "; the hub must serve its certificate chain including its CA");
            }
            throw new CertificateException("the hub's CA does not match --ca-hash: expected "
                    + expectedPin + ", the hub presented " + String.join(" and ", presentedCaPins)
                    + "; check the value printed by the hub, or whether something else answers at this address");
        }
        X509Certificate ca = chain[caIndex];
        Date now = Date.from(clock.instant());
        try {
            ca.checkValidity(now);
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new CertificateException("the hub's CA " + ca.getSubjectX500Principal().getName()
                    + " matches --ca-hash but is not valid now (valid " + ca.getNotBefore().toInstant()
                    + " to " + ca.getNotAfter().toInstant() + ")", e);
        }
        X509Certificate leaf = chain[0];
        checkServerUsage(leaf);
        if (caIndex > 0) {
            validatePath(Arrays.asList(chain).subList(0, caIndex), ca, now);
        }
        matched.set(ca);
    }

    private void validatePath(List<X509Certificate> path, X509Certificate ca, Date now)
            throws CertificateException {
        try {
            PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(ca, null)));
            parameters.setRevocationEnabled(false);
            parameters.setDate(now);
            CertPathValidator.getInstance("PKIX").validate(
                    CertificateFactory.getInstance("X.509").generateCertPath(new ArrayList<>(path)),
                    parameters);
        } catch (CertPathValidatorException e) {
            String which = e.getIndex() >= 0 && e.getIndex() < path.size()
                    ? " (at " + path.get(e.getIndex()).getSubjectX500Principal().getName() + ")" : "";
            throw new CertificateException("the hub's certificate does not validate against its CA "
                    + expectedPin + " although the CA matches --ca-hash: " + e.getMessage() + which, e);
        } catch (GeneralSecurityException e) {
            throw new CertificateException("cannot validate the hub's certificate chain: " + e.getMessage(), e);
        }
    }

    private static void checkServerUsage(X509Certificate leaf) throws CertificateException {
        List<String> usages;
        try {
            usages = leaf.getExtendedKeyUsage();
        } catch (CertificateParsingException e) {
            throw new CertificateException("the hub's certificate has a malformed extended key usage", e);
        }
        if (usages != null && !usages.contains("1.3.6.1.5.5.7.3.1") && !usages.contains("2.5.29.37.0")) {
            throw new CertificateException("the hub's certificate " + leaf.getSubjectX500Principal().getName()
                    + " is not a TLS server certificate (no serverAuth extended key usage)");
        }
    }

    private static String describe(X509Certificate[] chain) {
        List<String> subjects = new ArrayList<>();
        for (X509Certificate certificate : chain) {
            subjects.add(certificate.getSubjectX500Principal().getName());
        }
        return chain.length + " certificate(s): " + String.join(", ", subjects);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkServerTrusted(chain, authType);
    }

    /** Always throws: this trust manager is for clients only. */
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("PinnedCaTrustManager only checks servers; it cannot verify clients");
    }

    /** Always throws: this trust manager is for clients only. */
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    /** Always throws: this trust manager is for clients only. */
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        checkClientTrusted(chain, authType);
    }

    /** Empty: the trusted CA is not known in advance, only its pin. */
    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }

    @Override
    public String toString() {
        return "PinnedCaTrustManager[" + expectedPin + "]";
    }
}
