-- One database per owning service; none reads another's.
CREATE DATABASE ingest;
CREATE DATABASE referrals;
CREATE DATABASE notifications;
