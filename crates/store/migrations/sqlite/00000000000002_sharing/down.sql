DROP TABLE share_codes;
DROP TABLE shares;
