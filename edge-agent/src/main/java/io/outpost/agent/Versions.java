package io.outpost.agent;

/** The version this agent reports to the hub. */
public final class Versions {

  public static final String AGENT = versionOf();

  private Versions() {}

  private static String versionOf() {
    String v = Versions.class.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-dev" : v;
  }
}
