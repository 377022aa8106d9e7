-- Recommender v2: distinct vectors with their exact nearest neighbours, and a collaborative block.
--
-- Identical and near-identical vectors (same genres, decade, audience, no shared people: most of a
-- real catalogue) trap HNSW walks: famous seeds got obscure neighbours, 26 % of the sample's
-- distinct vectors were not even found by a query with their own value. Each distinct vector now
-- has a representative title (title_id = point_id) that carries the exact list of its nearest
-- distinct vectors, computed at training (ml/neighbours.py); recommend() reads the list and expands
-- each point to the titles that share it. Exact by construction, a lookup at query time.
--
-- The vector has two blocks (docs/recommender.md): 64 content dimensions and 64 collaborative ones
-- learnt from the service's client rating log (zeros for titles without a rating history).
-- The embeddings of the previous layout are dropped: the next `netfloox train` rebuilds them
-- (the active model is switched off, so `netfloox run` retrains).

DROP TABLE ml.title_embedding;
CREATE TABLE ml.title_embedding (
    title_id        integer PRIMARY KEY,
    version         integer NOT NULL,
    title_type      text NOT NULL,
    start_year      smallint,
    num_votes       integer NOT NULL DEFAULT 0,
    genres          text[] NOT NULL DEFAULT '{}',
    series_title_id integer,          -- for episodes; recommend() never proposes the seed's series
    prior           real NOT NULL,    -- quality/popularity prior added to the cosine similarity
    point_id        integer NOT NULL, -- the smallest title_id with exactly this vector
    collaborative   real NOT NULL DEFAULT 0, -- weight of the collaborative block (0: content only)
    neighbours      integer[],        -- on representatives: nearest point_ids, itself first
    embedding       vector(128) NOT NULL
);
CREATE INDEX title_embedding_point ON ml.title_embedding (point_id);
CREATE INDEX title_embedding_votes ON ml.title_embedding (num_votes DESC);

UPDATE ml.embedding_model SET active = false WHERE active;
