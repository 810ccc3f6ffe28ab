class DropCarts < ActiveRecord::Migration[7.1]
  def up
    drop_table :carts # expect: migration-destructive
    add_column :orders, :region, :string, null: false # expect: migration-locking
  end

  def down
    raise ActiveRecord::IrreversibleMigration # expect: migration-irreversible
  end
end
