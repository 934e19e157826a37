-- One database per owning service; neither reads the other's.
CREATE DATABASE referrals;
CREATE DATABASE notifications;
