/* LMTP/SMTP syntax; filled in by the LMTP work. */
int infostore_smtp_placeholder(void);

int infostore_smtp_placeholder(void)
{
	return 0;
}
