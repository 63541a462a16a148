package io.outpost.cache.objects;

/**
 * One client's view of one resource: the unit of storage accounting and eviction. Evicting a whole
 * bucket (its objects and its lists together) is what keeps the cache from answering with a
 * partial list: after eviction the lists of that bucket answer "never listed", never "fewer items".
 */
record BucketKey(String client, String resource) {

    @Override
    public String toString() {
        return resource + " of client " + client;
    }
}
