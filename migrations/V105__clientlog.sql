-- The streaming service's own client rating log (MovieLens format stands in for it here).
--
-- A schema of its own: the IMDb import replaces `catalog` wholesale, the log must survive it, and it
-- is keyed by IMDb title_id without a foreign key (a log may rate films the catalogue lacks: they
-- are counted at import and ignored by training). `netfloox import ratings` fills the *_next
-- tables and swaps them in one transaction.

CREATE TABLE clientlog.rating (
    client_id integer  NOT NULL,
    title_id  integer  NOT NULL,  -- IMDb tt number
    rating    real     NOT NULL CHECK (rating >= 0 AND rating <= 10),
    rated_at  timestamptz,
    PRIMARY KEY (client_id, title_id)
);
CREATE INDEX rating_title ON clientlog.rating (title_id);
