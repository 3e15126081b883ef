# cloud-init user-data: a login user only with a key, files and commands as given, always valid YAML.
run "no_key_no_user" {
  command = plan

  variables {
    write_files = [{ path = "/etc/x", content = "a: \"quoted\" and: colons\n", permissions = "0644" }]
  }

  assert {
    condition     = startswith(output.user_data, "#cloud-config\n") && !can(yamldecode(output.user_data).users)
    error_message = "no login user without a key"
  }

  assert {
    condition     = yamldecode(output.user_data).write_files[0].content == "a: \"quoted\" and: colons\n" && yamldecode(output.user_data).ssh_pwauth == false
    error_message = "file contents survive the encoding exactly; password logins stay off"
  }
}

run "a_key_makes_a_user" {
  command = plan

  variables {
    ssh_public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0sGDkZ0b3HJR0bIfcmdLzG2vV5fbWf9Fy3m4cU8bqn someone@laptop"
  }

  assert {
    condition     = yamldecode(output.user_data).users[0].name == "shs" && yamldecode(output.user_data).users[0].ssh_authorized_keys == [var.ssh_public_key]
    error_message = "the key logs in as shs"
  }
}

run "refuses_a_private_key" {
  command = plan

  variables {
    ssh_public_key = "-----BEGIN OPENSSH PRIVATE KEY-----"
  }

  expect_failures = [var.ssh_public_key]
}

run "an_encoded_file_says_so" {
  command = plan

  variables {
    write_files = [
      { path = "/etc/plain", content = "plain\n", permissions = "0644" },
      { path = "/etc/big", content = "H4sIAAAAAAAA/8pIzcnJBwQAAP//hiYQNgYAAAA=", permissions = "0644", encoding = "gz+b64" },
    ]
  }

  assert {
    condition     = yamldecode(output.user_data).write_files[1].encoding == "gz+b64" && yamldecode(output.user_data).write_files[1].content == "H4sIAAAAAAAA/8pIzcnJBwQAAP//hiYQNgYAAAA="
    error_message = "an encoded file carries cloud-init's encoding key and its content as given"
  }

  assert {
    condition     = !can(yamldecode(output.user_data).write_files[0].encoding)
    error_message = "a plain file has no encoding key (the user-data of the VMs that write none stays as it was)"
  }
}

run "a_lockbox_secret_to_tmpfs_at_every_boot" {
  command = plan

  variables {
    write_files = [{ path = "/etc/x", content = "x\n", permissions = "0644" }]
    lockbox_files = [{
      name      = "shs-test-password"
      about     = ["What this script is for."]
      what      = "the test password"
      secret_id = "e6qtestsecret0000001"
      key       = "password"
      dir       = "/run/shs-test"
      file      = "password"
      owner_uid = 1234
    }]
  }

  assert {
    condition     = [for f in yamldecode(output.user_data).write_files : "${f.path} ${f.permissions}"] == ["/var/lib/cloud/scripts/per-boot/10-shs-test-password 0700", "/etc/x 0644"]
    error_message = "a per-boot script (root only), before the other files"
  }

  assert {
    condition = alltrue([for want in [
      "#!/usr/bin/env python3\n# What this script is for.\nimport json\n",
      "SECRET_ID = \"e6qtestsecret0000001\"\nKEY = \"password\"\nDIR = \"/run/shs-test\"\n",
      "OWNER = 1234\n",
      "sys.exit(\"shs-test-password: could not read the test password from Lockbox\")",
    ] : strcontains(yamldecode(output.user_data).write_files[0].content, want)])
    error_message = "the script reads the given secret by id into the given tmpfs file, for the given uid"
  }
}

run "a_secret_never_on_disk" {
  command = plan

  variables {
    lockbox_files = [{ name = "x", about = [], what = "x", secret_id = "e6q", key = "k", dir = "/var/lib/x", file = "x", owner_uid = 0 }]
  }

  expect_failures = [var.lockbox_files]
}

run "an_unknown_encoding" {
  command = plan

  variables {
    write_files = [{ path = "/etc/x", content = "x", permissions = "0644", encoding = "zstd" }]
  }

  expect_failures = [var.write_files]
}

run "files_from_the_metadata_at_every_boot" {
  command = plan

  variables {
    bootcmd = [["mkdir", "-p", "/var/lib/x"]]
    metadata_files = [{
      name     = "shs-test-files"
      about    = ["What this command is for."]
      key      = "shs-test-files"
      hash_key = "shs-test-files-sha256"
      dir      = "/etc/shs-test"
    }]
  }

  assert {
    condition     = [for c in yamldecode(output.user_data).bootcmd : slice(c, 0, 2)] == [["mkdir", "-p"], ["python3", "-c"]] && length(yamldecode(output.user_data).bootcmd[1]) == 3
    error_message = "a boot command (every boot, before the containers), after the ones given: python3 -c <script>"
  }

  assert {
    condition = alltrue([for want in [
      "#!/usr/bin/env python3\n# What this command is for.\nimport base64\n",
      "NAME = \"shs-test-files\"\nKEY = \"shs-test-files\"\nHASH_KEY = \"shs-test-files-sha256\"\n",
      "\"http://169.254.169.254/computeMetadata/v1/instance/attributes/\"",
      "{\"Metadata-Flavor\": \"Google\"}",
      "DIR = os.environ.get(\"METADATA_FILES_DIR\", \"/etc/shs-test\")",
    ] : strcontains(yamldecode(output.user_data).bootcmd[1][2], want)])
    error_message = "the script reads the given keys from the metadata service (Metadata-Flavor: Google) into the given directory"
  }

  assert {
    condition     = !can(yamldecode(output.user_data).write_files)
    error_message = "nothing through write_files (first boot only)"
  }
}

run "metadata_files_never_over_a_system_directory" {
  command = plan

  variables {
    metadata_files = [{ name = "x", about = [], key = "x-files", hash_key = "x-files-sha256", dir = "/etc" }]
  }

  expect_failures = [var.metadata_files]
}

run "metadata_files_two_keys" {
  command = plan

  variables {
    metadata_files = [{ name = "x", about = [], key = "x-files", hash_key = "x-files", dir = "/etc/x" }]
  }

  expect_failures = [var.metadata_files]
}
