"""`Article` -> index generations on disk: the analyzers, the schema, the build and
its report, the on-disk layout (generations, manifest, lock), and the watcher that
keeps an index following its content folder."""
