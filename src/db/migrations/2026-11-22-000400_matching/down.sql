DROP INDEX vz_classification_journal_run;
DROP TABLE vz_classification_journal;
DROP TABLE vz_suggestions;
DROP TABLE vz_classification_runs;
