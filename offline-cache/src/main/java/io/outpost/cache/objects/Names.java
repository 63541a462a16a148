package io.outpost.cache.objects;

import java.util.Objects;
import java.util.regex.Pattern;

/** Argument checks for the identities the cache is keyed by; messages name the argument and the rule. */
final class Names {

    private static final Pattern RESOURCE = Pattern.compile("[a-z0-9.-]*/[a-z0-9.-]+/[a-z0-9.-]+");
    private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final int MAX_CLIENT = 256;
    private static final int MAX_NAMESPACE = 63;
    private static final int MAX_NAME = 253;

    private Names() {
    }

    static String client(String client) {
        Objects.requireNonNull(client, "client");
        if (client.isEmpty() || client.length() > MAX_CLIENT || hasControlCharacter(client)) {
            throw new IllegalArgumentException("client: '" + client
                    + "' (expected: 1-256 printable characters, e.g. kubelet or system:node:edge-1)");
        }
        return client;
    }

    static String resource(String resource) {
        Objects.requireNonNull(resource, "resource");
        if (!RESOURCE.matcher(resource).matches()) {
            throw new IllegalArgumentException("resource: '" + resource
                    + "' (expected: group/version/resource in lowercase, e.g. /v1/pods or apps/v1/deployments)");
        }
        return resource;
    }

    /** A namespace, or "" for cluster-scoped objects and all-namespaces lists. */
    static String namespace(String namespace) {
        Objects.requireNonNull(namespace, "namespace");
        if (!namespace.isEmpty() && (namespace.length() > MAX_NAMESPACE || !NAMESPACE.matcher(namespace).matches())) {
            throw new IllegalArgumentException("namespace: '" + namespace
                    + "' (expected: \"\" or a DNS label: 1-63 lowercase letters, digits and '-')");
        }
        return namespace;
    }

    static String name(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isEmpty() || name.length() > MAX_NAME || name.indexOf('/') >= 0 || hasControlCharacter(name)) {
            throw new IllegalArgumentException("name: '" + name
                    + "' (expected: 1-253 characters without '/' or control characters)");
        }
        return name;
    }

    private static boolean hasControlCharacter(String s) {
        return s.chars().anyMatch(Character::isISOControl);
    }
}
