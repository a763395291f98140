-- Namespaced JSON documents. WITHOUT ROWID: the (namespace, key) primary key is the table's only
-- B-tree, so a point read or a prefix range is one index walk, and there is no second index to
-- keep in step on the SD card.
CREATE TABLE documents (
  namespace TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (namespace, key)
) WITHOUT ROWID, STRICT;
