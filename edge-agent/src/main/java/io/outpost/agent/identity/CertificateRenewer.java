package io.outpost.agent.identity;

import io.outpost.tunnel.client.JoinClient;
import io.outpost.tunnel.pki.CertificateRequests;
import io.outpost.tunnel.pki.Certificates;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews the agent's client certificate at two thirds of its life, with a new key, while the old
 * one still opens the tunnel. A failed renewal is retried at the next check and logged loudly.
 */
public final class CertificateRenewer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(CertificateRenewer.class);

  private final AgentIdentityFiles identity;
  private final Clock clock;
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "certificate-renewer");
    t.setDaemon(true);
    return t;
  });

  public CertificateRenewer(AgentIdentityFiles identity, Clock clock) {
    this.identity = identity;
    this.clock = clock;
  }

  public CertificateRenewer start(Duration checkEvery) {
    timer.scheduleWithFixedDelay(this::renewIfDue, 0, checkEvery.toMillis(), TimeUnit.MILLISECONDS);
    return this;
  }

  /** @return whether a new certificate was obtained */
  public boolean renewIfDue() {
    AgentIdentityFiles.Identity current = identity.current();
    if (!Certificates.renewalDue(current.certificate(), clock)) {
      return false;
    }
    try {
      KeyPair keys = CertificateRequests.newKeyPair();
      X509Certificate fresh = JoinClient.renew(current.hubHost(), current.hubPort(), current.credentials(), keys,
          current.clusterName());
      identity.renewed(fresh, keys.getPrivate());
      log.info("renewed the client certificate of cluster {}: valid until {}", current.clusterName(),
          fresh.getNotAfter().toInstant());
      return true;
    } catch (JoinClient.JoinException | RuntimeException e) {
      log.warn("certificate renewal failed (current one expires {}): {}", current.certificate().getNotAfter()
          .toInstant(), e.getMessage());
      return false;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
