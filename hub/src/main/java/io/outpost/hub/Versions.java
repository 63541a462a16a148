package io.outpost.hub;

/** The version this hub reports to agents and in its API. */
public final class Versions {

  public static final String HUB = versionOf(Versions.class);

  private Versions() {}

  static String versionOf(Class<?> type) {
    String v = type.getPackage().getImplementationVersion();
    return v == null ? "0.1.0-dev" : v;
  }
}
