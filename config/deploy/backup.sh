#!/usr/bin/env bash
# Nightly backup: pg_dump in the custom format (compressed, restorable table by
# table), keeping the last 14 daily dumps. Run from cron or a systemd timer as a
# user that may read the database, e.g. (crontab):
#   30 2 * * *  DATABASE=dangjian BACKUP_DIR=/var/backups/dangjian /srv/dangjian/config/deploy/backup.sh
# Copy the directory off the machine as well: a backup on the same disk is no backup.
# Restore: pg_restore --clean --if-exists --no-owner --dbname=dangjian FILE
# Check a dump restores (counts compared): python manage.py restore_drill --dump FILE
set -euo pipefail
DATABASE="${DATABASE:-dangjian}"
BACKUP_DIR="${BACKUP_DIR:-/var/backups/dangjian}"
KEEP_DAYS="${KEEP_DAYS:-14}"
mkdir -p "$BACKUP_DIR"
file="$BACKUP_DIR/$DATABASE-$(date +%Y%m%d-%H%M%S).dump"
pg_dump --format=custom --file="$file.partial" "$DATABASE"
mv "$file.partial" "$file"
find "$BACKUP_DIR" -name "$DATABASE-*.dump" -mtime +"$KEEP_DAYS" -delete
echo "$file"
