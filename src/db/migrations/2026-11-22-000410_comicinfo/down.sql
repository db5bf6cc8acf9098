DROP INDEX vz_comicinfo_journal_run;
DROP TABLE vz_comicinfo_journal;
