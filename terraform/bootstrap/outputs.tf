output "tf_state_bucket" {
  description = "Repository variable TF_STATE_BUCKET."
  value       = yandex_storage_bucket.state.bucket
}

output "tf_state_lock_endpoint" {
  description = "Repository variable TF_STATE_LOCK_ENDPOINT (the database's Document API endpoint)."
  value       = yandex_ydb_database_serverless.lock.document_api_endpoint
}

output "tf_state_lock_table" {
  description = "Repository variable TF_STATE_LOCK_TABLE."
  value       = var.lock_table
}

output "state_key_secret_id" {
  description = "The Lockbox secret holding the state key: secrets TF_STATE_ACCESS_KEY_ID and TF_STATE_SECRET_ACCESS_KEY (yc lockbox payload get <id>)."
  value       = yandex_lockbox_secret.state_key.id
}

output "create_lock_table_command" {
  description = "Creates the lock table (a document table with the string key LockID), with the state key in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."
  value       = "aws dynamodb create-table --endpoint-url ${yandex_ydb_database_serverless.lock.document_api_endpoint} --region ru-central1 --table-name ${var.lock_table} --attribute-definitions AttributeName=LockID,AttributeType=S --key-schema AttributeName=LockID,KeyType=HASH"
}
