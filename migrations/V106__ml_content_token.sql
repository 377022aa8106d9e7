-- The content model's fitted projection, so that `netfloox train --refresh` can give new and
-- changed titles their content vectors without refitting (a fold-in): for each token kept by the
-- fit (held by at least two titles), its TF-IDF weight times its SVD components. A title's content
-- block is the unit vector of the sum of its tokens' weights times their loadings
-- (ml/embeddings.py). One set per fit; a full training replaces it, a refresh reads it.
CREATE TABLE ml.content_token (
    fit_version integer NOT NULL,   -- the ml.embedding_model version that fitted it
    token       text    NOT NULL,   -- 'genre:Drama', 'director:123', 'decade:1990', ...
    position    integer NOT NULL,   -- column order of the fit
    loading     vector(64) NOT NULL,
    PRIMARY KEY (fit_version, token)
);
